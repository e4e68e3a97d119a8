"""`python -m ops.emulator [--port N]`: the patched moto server in the foreground."""

from . import main

main()
