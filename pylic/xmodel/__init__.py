"""xmodels from pylic's own numbers (route (c) of XMODEL_DPU.md): each DPU segment of a deploy package as the
quantized float graph `vai_c_xir` takes, serialized with protobuf against the xmodel schema; a reader; a float64
reference interpreter of the written graph; and the compile/check sequence around `vai_c_xir`.

Modules: `graph` (plain data), `proto` (protobuf write/read), `segments` (package -> graphs), `interpret`
(reference interpreter), `golden` (each segment's int8 I/O from the emulator), `compiled` (checks of a
compiled xmodel, workloads), `compile` (the phases behind `invoke compile-xmodel`). See docs/xmodel.md.
"""
