"""The speech wing: text in, MiMo's speech out. It points down only (audio wing, calls, batch pacing).

Read upward, each module uses only those above it in this list::

    text      long text cut at sentence boundaries into balanced pieces
    plan      SpeakOptions and SpeechPlan: model, voice, pieces and formats, checked
    request   one request in MiMo's TTS dialect, and its answer checked before it is believed
    result    Speech: the audio, what it is, save(), a player in Jupyter
    speak     speak() / speak_async(): pieces sent concurrently under the RPM ceiling, joined
    openai    speech(client): OpenAI's audio.speech.create shape on top of speak()
    route     the same rules for an HTTP body (the adapter's and the proxy's /audio/speech)
"""
