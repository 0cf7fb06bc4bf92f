"""What the board's ARM cores (the PS) run, importable with numpy alone (no torch, no CompressAI).

Submodules: `package` (the validated deploy package and the PS's tables), `pixels` (input/output pixel LUTs),
`prior` (abs, z medians, scale index), `stages` (the per-patch stage graph). See docs/ps.md.

Submodules are imported explicitly (`from pylic.ps import stages`); nothing here imports eagerly, so that
`import pylic.ps` stays cheap on a PYNQ board.
"""
