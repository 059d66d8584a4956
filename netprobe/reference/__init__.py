"""Shell completions and man pages, generated from the click command tree.

Run ``python -m netprobe.reference --out-dir .`` after changing any command
or option; ``tests/test_reference.py`` fails while the committed files differ
from what the code would generate.
"""
