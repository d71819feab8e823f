"""RQ jobs: thin entry points that take ids, run inside the worker's app context and call a service.

Services queue them by name through `app.queue` (which owns the Redis connection and the queues' settings);
nothing imports this package but the worker command.
"""
