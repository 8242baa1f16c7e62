"""``mimo-audio proxy``: the HTTP adapter as a local OpenAI-compatible endpoint, for any language.

``_options`` (what it serves and how it guards the key), ``_app`` (the Starlette app: each
request read, checked and forwarded through the adapter's async client, streamed back) and
``_server`` (uvicorn, in the foreground or on a background thread).
"""
