"""Bulk requests as background jobs (Django's tasks framework): the request stores the items and answers a
`job_status` at once; the task applies each item through the same code as the single-record endpoints, each
in its own transaction, and records its outcome; clients poll GET job_statuses/{id}."""

import uuid

from django.db import transaction
from django.tasks import task
from django.utils.translation import gettext as _

from accounts.models import User
from api import shapes
from api.bulk import item_apply
from api.http import ApiError
from api.models import JobStatus
from api.present import absolute
from api.routing import Resource, not_found, reply

job_status = Resource("job_statuses/<slug:job_id>", "job_status", "Job statuses")
PROGRESS_EVERY = 10  # items between two progress writes


def job_start(request, job_type: str, items: list[dict]):
    """Store a job for `items` and hand it to a worker; answers its job_status (queued, or done already
    where tasks run at once)."""
    job = JobStatus.objects.create(
        account=request.account,
        actor=request.api_actor,
        public_id=uuid.uuid4().hex,
        job_type=job_type,
        items=items,
        total=len(items),
    )
    transaction.on_commit(lambda: job_run.enqueue(job.pk))
    job.refresh_from_db()
    return reply(shapes.JobStatusEnvelope(job_status=job_shape(request, job)))


def job_shape(request, job: JobStatus) -> shapes.JobStatus:
    return shapes.JobStatus(
        id=job.public_id,
        url=absolute(request, "job_status", job.public_id),
        job_type=job.job_type,
        status=job.status,
        total=job.total,
        progress=job.progress,
        message=job.message or None,
        results=[shapes.JobResult(**r) for r in job.results] if job.status in ("completed", "failed") else None,
    )


@job_status.operation(
    "GET", "A bulk job's progress and results", responses={200: shapes.JobStatusEnvelope, 404: shapes.Error}
)
def job_status_show(request, job_id: str):
    job = JobStatus.objects.filter(account=request.account, public_id=job_id).first()
    if job is None:
        raise not_found()
    return reply(shapes.JobStatusEnvelope(job_status=job_shape(request, job)))


@task
def job_run(job_id: int) -> None:
    """Apply a job's items one by one, each in its own transaction, recording each outcome."""
    job = JobStatus.objects.select_related("account").get(pk=job_id)
    actor = User.objects.filter(pk=job.actor_id).first()
    JobStatus.objects.filter(pk=job.pk).update(status=JobStatus.State.WORKING)
    results = []
    try:
        for index, item in enumerate(job.items):
            try:
                results.append({"index": index, "success": True, **item_apply(job.account, actor, item)})
            except ApiError as error:
                code, message = _refusal(error)
                results.append(
                    {
                        "index": index,
                        "success": False,
                        "action": item["action"],
                        "id": item.get("id"),
                        "error": code,
                        "details": message,
                    }
                )
            if (index + 1) % PROGRESS_EVERY == 0:
                JobStatus.objects.filter(pk=job.pk).update(progress=index + 1)
    except Exception:
        JobStatus.objects.filter(pk=job.pk).update(
            status=JobStatus.State.FAILED,
            results=results,
            progress=len(results),
            message=_("The job stopped on an error."),
        )
        raise
    JobStatus.objects.filter(pk=job.pk).update(
        status=JobStatus.State.COMPLETED, results=results, progress=len(results), message=_("Completed")
    )


def _refusal(error: ApiError) -> tuple[str, str]:
    """An ApiError as a result: (error code, a sentence naming the field)."""
    for field, problems in error.details.items():
        return problems[0]["error"], f"{field}: {problems[0]['description']}"
    return error.error, error.description
