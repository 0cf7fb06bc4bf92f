"""The board runtime (PYNQ on the ZCU102's ARM cores): overlay, HLS kernel drivers, DPU runners per core, the
lane scheduler and the codecs over them; plus host mode, where the emulator stands in for the hardware.

Importable without torch, pynq or VART: submodules import them only where they are used
(`from pylic.board import scheduler`). Entry point: `pylic.board.session.open_codec`.
"""
