"""Deezer client counters (prometheus-client only, no Flask): served by app/metrics.py on /metrics."""
from prometheus_client import Counter

# One per HTTP request sent to Deezer, by outcome: ok, quota, retryable (timeouts, connection errors,
# 5xx, busy) or permanent; and one per pause taken after a quota signal.
DEEZER_REQUESTS = Counter("listify_deezer_requests_total", "Requests sent to the Deezer API, by outcome.", ["outcome"])
DEEZER_QUOTA_PAUSES = Counter("listify_deezer_quota_pauses_total", "Pauses taken after Deezer signalled its quota.")
