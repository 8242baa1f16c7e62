"""pytest plugin (entry point ``pytest11``): the ``mimo_emulator`` fixture.

Filled in by the emulator module; this module must stay cheap to import.
"""
