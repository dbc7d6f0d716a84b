"""Worker process: a fake job every second; on SIGTERM/SIGINT it finishes the
current job and exits 0."""
import random
import signal
import sys
import time

stop_signal = None  # the graceful stop flag, set by the signal handler


def request_stop(signum, frame):
    # Only set the flag: printing or locking inside a signal handler can deadlock.
    global stop_signal
    stop_signal = signal.Signals(signum).name


def do_job(n):
    seconds = random.uniform(0.1, 0.4)
    time.sleep(seconds)  # pretend to work
    print(f"job {n} done in {seconds * 1000:.0f}ms", flush=True)


def pause(seconds):
    """Sleep, but return promptly once a stop was requested."""
    deadline = time.monotonic() + seconds
    while stop_signal is None and time.monotonic() < deadline:
        time.sleep(0.05)


def main():
    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    print("worker started", flush=True)
    n = 0
    while stop_signal is None:
        n += 1
        do_job(n)  # always runs to completion
        pause(1)
    print(f"received {stop_signal}, worker stopped after {n} jobs", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
