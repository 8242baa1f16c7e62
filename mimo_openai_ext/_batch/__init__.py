"""The batch wing: many questions about many recordings, paced, durable and resumable.

Read upward, each module uses only those above it (and the calling layer below the wing)::

    rate          an RPM ceiling that counts every attempt
    results_file  the durable JSONL results file (fsync, torn-line repair, resume state)
    results       BatchResult / BatchResults, what a batch returns
    engine        the concurrent loop: rate limit, retries, one failure never sinks the rest
    estimate      a dry run: duration, tokens, worst-case cost, what would fail
    ask           ask_batch / ask_batch_async
"""
