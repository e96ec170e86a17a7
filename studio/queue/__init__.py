"""The generation queue: jobs in studio.db (jobs.py), enqueueing with consent and budget
checks (enqueue.py), the worker lock (lock.py), and the async engine (engine.py)."""
