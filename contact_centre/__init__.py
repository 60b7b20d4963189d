"""The call centre's own records: staff accounts, calls, queue waits and callbacks.

Plain Python and SQLAlchemy, shared by the IVR (which writes calls and callback
requests) and the console (where agents and supervisors work them).
"""
