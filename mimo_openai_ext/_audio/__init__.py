"""The audio wing: from bytes to facts and back to bytes. It never imports ``openai``.

Read upward, each module uses only those above it in this list (and the package's
foundation: ``_config``, ``_exceptions``, ``_types``, ``_format``)::

    datauri     data: URIs and URLs: parse, build, size
    source      paths, bytes, file objects, data URIs -> one buffer (memory-mapped)
    tokens      duration -> audio tokens (6.25 a second)
    signatures  magic numbers of formats MiMo refuses, and of things that are not audio
    refusals    the words of a refusal: UnsupportedAudioFormatError / CorruptAudioError messages
    mp4_codecs  what an MP4 track holds: sample-entry codes, esds object types, AAC profiles
    aac_config  an mp4a entry's esds: object type, AudioSpecificConfig (rate, channels, SBR/PS)
    mp4, mpeg   hand-written header parsers (measured better than the libraries, see each)
    wav         RIFF/RIFX/RF64 chunks ('fmt ', 'data', 'fact') and which WAVs MiMo takes
    sniff       the real format from the bytes (filetype, plus the deeper checks above)
    probe       duration, rate and channels from headers (soundfile, mp4, mpeg)
    quiet       a C library's stderr lines filtered out around one call (libmpg123's)
    stream      AudioStream (seekable float32 blocks) and the libsndfile decoder
    avdecode    PyAV's decoder: M4A streamed block by block, other formats via FLAC
    decode      open any readable audio as an AudioStream (libsndfile, else PyAV)
    resample    downmix and sample-rate conversion (soxr)
    convert     encoding: lossless (libsndfile), MP3 (LAME), and what MiMo refuses into what it accepts
    fit         the cheapest encoding under a size budget
    split       cut at quiet points into pieces that each fit
"""
