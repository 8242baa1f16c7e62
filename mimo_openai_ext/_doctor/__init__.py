"""The doctor wing: a live check of what the model table only believes (``mimo-audio doctor``).

Read upward, each module uses only those above it (and the calling layer below the wing)::

    clips   the one-second tone in each format (and the big clip for the size probe)
    send    one request: a timeout, the spending cap, the answer read defensively
    probes  each probe: what it sends, what it found
    report  DoctorReport: the table, the JSON report, the capabilities file
    run     run_doctor
"""
