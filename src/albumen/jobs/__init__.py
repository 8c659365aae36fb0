"""Background jobs: Immich's queues and job names, `JobQueue.register` / `JobQueue.enqueue`, workers."""

from albumen.jobs.queue import JobQueue
from albumen.jobs.schemas import Handler, JobData, JobName, QueueName, RetryPolicy, WorkerTiming

__all__ = ["Handler", "JobData", "JobName", "JobQueue", "QueueName", "RetryPolicy", "WorkerTiming"]
