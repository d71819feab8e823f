"""The concurrency harness: calls started at the same moment, each as its own worker or request would run."""
import threading
from collections.abc import Callable, Sequence


def run_concurrently(app, calls: Sequence[Callable[[], object]], timeout: float = 60) -> list:
    """Run each call in its own thread and app context (so on its own database session), all released
    together by a barrier; return their results in the calls' order, or raise the first error one raised."""
    barrier = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), []

    def run(index, call):
        try:
            with app.app_context():
                barrier.wait(timeout)
                results[index] = call()
        except BaseException as error:  # re-raised in the test's thread below
            errors.append(error)
            barrier.abort()  # the others stop waiting for a call that will never arrive

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), f"a concurrent call ran longer than {timeout} s"
    if errors:
        raise errors[0]
    return results
