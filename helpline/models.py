"""Import every model so ``Base.metadata`` knows all tables (Alembic, tests)."""

from booking_core import (  # noqa: F401
    appointments,
    audit,
    citizens,
    ehealth,
    feed_tokens,
    holidays,
    hospitals,
    idempotency,
    opd_day,
    outbox,
    resources,
    slots,
    verification,
    waiting_list,
)
from booking_core.base import Base
from contact_centre import models as contact_centre_models  # noqa: F401
from grievances import models as grievance_models  # noqa: F401
from grievances import notifications as grievance_notifications  # noqa: F401
from messaging import models as messaging_models  # noqa: F401

metadata = Base.metadata
