"""What an MP4 track holds: sample-entry codes, ``esds`` object types and AAC profiles.

MiMo's M4A is AAC or ALAC. A track's handler name (``soun``, ``vide``) is only a label
that one changed byte defeats, so video and audio are told apart by the sample entry's
codec first; the ``esds`` object type and the AudioSpecificConfig's object type then tell
AAC from the other MPEG-4 audio that rides in an ``mp4a`` entry (ALS, MP3, ...).
"""

from __future__ import annotations

__all__ = [
    "AUDIO_ENTRIES",
    "ENCRYPTED_ENTRIES",
    "MPEG_AUDIO_OBJECT_TYPES",
    "STILL_IMAGE_ENTRIES",
    "VIDEO_ENTRIES",
    "aac_profile",
    "entry_name",
    "mp4a_refusal",
]

VIDEO_ENTRIES = frozenset(
    {
        *("avc1", "avc2", "avc3", "avc4", "avcp", "hvc1", "hev1", "hvc2", "hev2", "dvh1", "dvhe"),
        *("dva1", "dvav", "dav1", "vvc1", "vvi1", "evc1", "mp4v", "av01", "vp08", "vp09", "vp10"),
        *("s263", "h263", "H263", "mjp2", "mjpb", "apch", "apcn", "apcs", "apco", "ap4h", "ap4x"),
        *("dvc ", "dvcp", "dvpp", "dv5n", "dv5p", "dvhp", "dvhq", "dvh5", "dvh6", "cvid", "SVQ1"),
        *("SVQ3", "rpza", "smc ", "8BPS", "2vuy", "yuv2", "v210", "drac", "mp1v", "mp2v", "xd5b"),
        *("xdv7", "xdvc", "encv", "drmi", "theo", "VP80", "vc-1", "avs3", "FFV1", "AVdn", "AVdh"),
    }
)
"""Sample entries that are video, whatever the track's handler says."""

STILL_IMAGE_ENTRIES = frozenset({"jpeg", "png ", "mjpa", "gif ", "tiff", "bmp "})
"""Chapter images and cover art ride in 'vide' tracks of these: pictures, not video."""

AUDIO_ENTRIES = frozenset(
    {
        *("mp4a", "alac", "enca", "drms", "Opus", "fLaC", "samr", "sawb", "sevc", "secb", "sqcp"),
        *("ac-3", "ec-3", "ac-4", ".mp3", "mp3 ", "lpcm", "sowt", "twos", "in24", "in32", "fl32"),
        *("fl64", "ulaw", "alaw", "ima4", "MAC3", "MAC6", "QDMC", "QDM2", "Qclp", "dtsc", "dtsh"),
        *("dtsl", "dtse", "dtsx", "mlpa", "spex", "agsm", "mha1", "mha2", "mhm1", "mhm2", "ipcm"),
        *("fpcm", "iamf", "vorb"),
    }
)
"""Sample entries that are audio, whatever the track's handler says."""

ENCRYPTED_ENTRIES = frozenset({"enca", "encv", "drms", "drmi"})
"""Common Encryption and FairPlay (iTunes ``.m4p``) entries: DRM-protected media."""

_OTHER_AUDIO = {
    "Opus": "Opus",
    "fLaC": "FLAC",
    "samr": "AMR-NB",
    "sawb": "AMR-WB",
    "sevc": "EVRC",
    "secb": "EVRC-B",
    "sqcp": "QCELP",
    "Qclp": "QCELP",
    "ac-3": "AC-3",
    "ec-3": "E-AC-3",
    "ac-4": "AC-4",
    ".mp3": "MP3",
    "mp3 ": "MP3",
    "ima4": "IMA ADPCM",
    "MAC3": "MACE 3:1",
    "MAC6": "MACE 6:1",
    "QDMC": "QDesign Music",
    "QDM2": "QDesign Music 2",
    "dtsc": "DTS",
    "dtsh": "DTS-HD",
    "dtsl": "DTS-HD Master Audio",
    "dtse": "DTS Express",
    "dtsx": "DTS:X",
    "mlpa": "Dolby TrueHD",
    "spex": "Speex",
    "agsm": "GSM",
    "mha1": "MPEG-H 3D Audio",
    "mha2": "MPEG-H 3D Audio",
    "mhm1": "MPEG-H 3D Audio",
    "mhm2": "MPEG-H 3D Audio",
    "iamf": "IAMF (immersive audio)",
    "vorb": "Vorbis",
}
_PCM_ENTRIES = frozenset(
    {"lpcm", "sowt", "twos", "in24", "in32", "fl32", "fl64", "ulaw", "alaw", "ipcm", "fpcm"}
)

# esds objectTypeIndication (ISO 14496-1 and the MP4 registration authority).
_AAC_OBJECT_TYPES = frozenset({0x40, 0x66, 0x67})  # MPEG-4 audio; MPEG-2 AAC Main and LC
_OBJECT_TYPE_NAMES = {
    0x68: "MPEG-2 AAC SSR",
    0x69: "MPEG-2 audio (MP3/MP2)",
    0x6B: "MPEG-1 audio (MP3/MP2)",
    0xA5: "AC-3",
    0xA6: "E-AC-3",
    0xA9: "DTS",
    0xAA: "DTS-HD",
    0xAB: "DTS-HD Master Audio",
    0xAC: "DTS Express",
    0xAD: "Opus",
    0xDD: "Vorbis",
    0xE1: "QCELP",
}

# AudioSpecificConfig audio object types (ISO 14496-3, 1.5.1.1). ffmpeg decodes these AAC
# flavours (5/29, HE-AAC, wrap one of them); everything else is refused by name.
_DECODABLE_AAC = frozenset({1, 2, 4, 17, 23, 39})
_AUDIO_OBJECT_NAMES = {
    1: "AAC Main",
    2: "AAC LC",
    3: "AAC SSR",
    4: "AAC LTP",
    6: "AAC Scalable",
    7: "TwinVQ",
    8: "CELP",
    9: "HVXC",
    12: "TTSI (text-to-speech)",
    13: "MPEG-4 Structured Audio",
    14: "MPEG-4 Wavetable Synthesis",
    15: "MPEG-4 General MIDI",
    16: "MPEG-4 Algorithmic Synthesis",
    17: "ER AAC LC",
    19: "ER AAC LTP",
    20: "ER AAC Scalable",
    21: "ER TwinVQ",
    22: "ER BSAC",
    23: "AAC LD",
    24: "ER CELP",
    25: "ER HVXC",
    26: "ER HILN",
    27: "ER Parametric",
    28: "SSC",
    32: "MPEG-1/2 Layer I (MP1)",
    33: "MPEG-1/2 Layer II (MP2)",
    34: "MPEG-1/2 Layer III (MP3)",
    35: "DST (Direct Stream Transfer)",
    36: "MPEG-4 ALS (lossless)",
    37: "MPEG-4 SLS",
    38: "MPEG-4 SLS (non-core)",
    39: "AAC ELD",
    40: "SMR Simple",
    41: "SMR Main",
    42: "xHE-AAC (USAC)",
    43: "SAOC",
    44: "LD MPEG Surround",
    45: "SAOC-DE",
    46: "Audio Sync",
}


def entry_name(codec: str) -> str:
    """A sample entry's codec for people: ``"AMR-NB"``, ``"PCM ('sowt')"``, ``"'xyz1'"``."""
    if codec in _PCM_ENTRIES:
        return f"PCM ('{codec.strip()}')"
    return _OTHER_AUDIO.get(codec, f"'{codec.strip()}'")


MPEG_AUDIO_OBJECT_TYPES = frozenset({0x69, 0x6B})
"""``esds`` object types of MPEG-1/2 audio (MP3, MP2): the layer is read from the first frame."""


def mp4a_refusal(object_type: int, audio_object_type: int) -> str | None:
    """What an ``mp4a`` entry holds when it is not AAC MiMo can decode (None when it is).

    ``object_type`` is the ``esds`` objectTypeIndication, ``audio_object_type`` the
    AudioSpecificConfig's core object type; 0 means absent (then the entry is taken as AAC,
    as every decoder does).
    """
    if object_type and object_type not in _AAC_OBJECT_TYPES:
        return _OBJECT_TYPE_NAMES.get(object_type, f"esds object type 0x{object_type:02X} (unknown)")
    if object_type == 0x40 and audio_object_type and audio_object_type not in _DECODABLE_AAC:
        return _AUDIO_OBJECT_NAMES.get(audio_object_type, f"MPEG-4 audio object type {audio_object_type}")
    return None


def aac_profile(audio_object_type: int, *, sbr: bool, ps: bool) -> str:
    """``"AAC LC"``, ``"HE-AAC"``, ``"HE-AAC v2"``, ... (``"AAC"`` when the config was not read)."""
    if ps:
        return "HE-AAC v2"
    if sbr:
        return "HE-AAC"
    return _AUDIO_OBJECT_NAMES.get(audio_object_type, "AAC") if audio_object_type in _DECODABLE_AAC else "AAC"
