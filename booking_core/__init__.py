"""The booking core: hospitals, OPD slots, citizens, appointments, resources, outbox.

Plain Python and SQLAlchemy. No Flask and no Twilio: the adapters call these services.
"""
