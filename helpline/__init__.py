"""Wiring for the Delhi Health Helpline: settings, app factory, database, jobs, CLI.

The domain lives in ``booking_core`` and ``grievances``; the adapters in ``ivr``,
``agent_console``, ``portal_api`` and ``messaging``. This package only connects them.
"""
