"""The product's own emails, sent from a task: a mail server that refuses one is tried again later."""

import datetime
import logging

from django.utils import timezone

SEND_ATTEMPTS = 6  # the first, then after 1, 2, 4, 8 and 16 minutes
logger = logging.getLogger(__name__)


def send_or_retry(message, *, task, attempt: int, what: str, **arguments) -> str:
    """Send `message` ("sent"); when the server refuses it, enqueue `task` again with `arguments` and the next
    attempt, a little later each time ("retrying"). The last attempt's error is raised, as is any error where
    the task backend can't defer."""
    try:
        message.send()
    except OSError as error:
        if attempt >= SEND_ATTEMPTS or not task.get_backend().supports_defer:
            raise
        delay = datetime.timedelta(minutes=2 ** (attempt - 1))
        logger.warning("%s refused (%s); retrying in %s", what, error, delay)
        task.using(run_after=timezone.now() + delay).enqueue(**arguments, attempt=attempt + 1)
        return "retrying"
    return "sent"
