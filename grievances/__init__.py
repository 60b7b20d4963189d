"""Citizens' grievances: records, reference numbers, and the workflow around them.

Plain Python and SQLAlchemy; no Flask, no Twilio.
"""
