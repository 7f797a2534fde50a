"""Celery tasks of the kpis app (the engine's are in ``kpis.engine.tasks``): thin, each loads by id
and calls one service."""

from celery import shared_task

from .uploads import upload_process


@shared_task(ignore_result=True)
def upload_process_task(upload_id: int) -> None:
    upload_process(upload_id=upload_id)
