"""The HTTP adapter: MiMo's dialect for clients that never heard of this library.

``_rules`` (what changes on the wire; shared with the proxy), ``_body`` (a JSON body with
its long strings set aside), ``_transcriptions`` (Whisper's form, served by our shim) and
``_transport`` (httpx/httpx2 transports and clients). OpenAI's ``audio/speech`` is served by
the speech wing's own rules (``_speech.route``), the ones ``speech(client)`` follows.
"""
