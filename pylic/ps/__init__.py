"""What the board's ARM cores (the PS) run, importable with numpy alone (no torch, no CompressAI).

Submodules are imported explicitly (`from pylic.ps import stages`); nothing here imports eagerly, so that
`import pylic.ps` stays cheap on a PYNQ board.
"""
