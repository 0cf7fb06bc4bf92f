"""Recording stand-ins for vitis_hls, vivado, v++ and vai_c_xir (tests only): each call appends {tool, argv, cwd, env}
to $PYLIC_STANDIN_LOG and creates the files the real tool would leave, so the flow runs end to end without
the vendor tools. Nothing here pretends to synthesize: the outputs are placeholders the flow only moves."""

import hashlib
import json
import os
import re
import sys
from pathlib import Path

HEADER = """// Vitis HLS - High-Level Synthesis from C, C++ and OpenCL v2022.1 (64-bit)  [pylic test stand-in]
// control
// 0x00 : Control signals
// 0x04 : Global Interrupt Enable Register
// 0x08 : IP Interrupt Enable Register (Read/Write)
// 0x0c : IP Interrupt Status Register (Read/COR)
{comments}
#define X{T}_CONTROL_ADDR_AP_CTRL 0x00
#define X{T}_CONTROL_ADDR_GIE 0x04
#define X{T}_CONTROL_ADDR_IER 0x08
#define X{T}_CONTROL_ADDR_ISR 0x0c
{defines}
"""
CSYNTH = """<?xml version="1.0"?><profile><UserAssignments><TopModelName>{top}</TopModelName><Part>{part}</Part>
<TargetClockPeriod>3.33</TargetClockPeriod></UserAssignments><PerformanceEstimates><SummaryOfTimingAnalysis>
<EstimatedClockPeriod>2.9</EstimatedClockPeriod></SummaryOfTimingAnalysis><SummaryOfOverallLatency>
<Best-caseLatency>100</Best-caseLatency><Worst-caseLatency>200</Worst-caseLatency><Interval-min>101</Interval-min>
<Interval-max>201</Interval-max></SummaryOfOverallLatency></PerformanceEstimates><AreaEstimates><Resources>
<BRAM_18K>2</BRAM_18K><DSP>24</DSP><FF>3000</FF><LUT>5000</LUT><URAM>0</URAM></Resources><AvailableResources>
<BRAM_18K>1824</BRAM_18K><DSP>2520</DSP><FF>548160</FF><LUT>274080</LUT><URAM>0</URAM></AvailableResources>
</AreaEstimates></profile>
"""


def touch(path: Path, text: str = "stand-in\n") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def digest(files: list[Path]) -> str:
    """Placeholder contents that change with the inputs, as a real tool's products would."""
    h = hashlib.sha256()
    for f in files:
        if f.is_file():
            h.update(f.read_bytes())
    return h.hexdigest() + "\n"


def vitis_hls(argv: list[str]) -> None:
    tcl = Path(argv[argv.index("-f") + 1]).read_text()
    top = re.search(r"^set_top (\w+)", tcl, re.M).group(1)
    regs = json.loads(Path("kernel.json").read_text())["registers"]
    args = sorted(((o, n) for n, o in regs.items() if n not in ("CTRL", "GIE", "IER", "ISR")))
    pointers = set(re.findall(r"m_axi port=(\w+)", Path(f"src/{top}.cpp").read_text()))
    kinds = {n: 64 if n in pointers else 32 for _, n in args}
    comments = "\n".join(f"// 0x{o:02x} : Data signal of {n}" for o, n in args)
    defines = "\n".join(f"#define X{top.upper()}_CONTROL_ADDR_{n.upper()}_DATA 0x{o:02x}\n"
                        f"#define X{top.upper()}_CONTROL_BITS_{n.upper()}_DATA {kinds[n]}" for o, n in args)
    touch(Path(f"{top}_prj/sol1/impl/misc/drivers/{top}_v1_0/src/x{top}_hw.h"),
          HEADER.format(comments=comments, defines=defines, T=top.upper()))
    touch(Path(f"{top}_prj/sol1/syn/report/csynth.xml"), CSYNTH.format(top=top, part=os.environ["PYLIC_HLS_PART"]))
    touch(Path(f"{top}.xo"), digest(sorted(Path("src").rglob("*"))))  # differs when the sources differ


def vivado(argv: list[str]) -> None:
    src = argv[argv.index("-source") + 1]
    if src == "platform.tcl":
        touch(Path("platform.xsa"))
    else:
        touch(Path(argv[argv.index("-tclargs") + 1]))


def vpp(argv: list[str]) -> None:
    out, tmp = Path(argv[argv.index("-o") + 1]), Path(argv[argv.index("--temp_dir") + 1])
    prj = tmp / "link/vivado/vpl/prj"
    touch(prj / "prj.gen/sources_1/bd/pylic_platform/ip/pylic_platform_DPUCZDX8G_1_0/arch.json",
          '{"target": "DPUCZDX8G_ISA1_B4096"}\n')
    products = digest([Path(a) for a in argv if a.endswith(".xo")])
    for p in (prj / "prj.runs/impl_1/pylic_platform_wrapper.bit",
              prj / "prj.gen/sources_1/bd/pylic_platform/hw_handoff/pylic_platform.hwh", out):
        touch(p, products)


def vai_c_xir(argv: list[str]) -> None:
    from xmodel_standin import run  # tests/xmodel_standin.py: a compiled xmodel written with pylic's own writer

    run(argv)


def main() -> None:
    tool, argv = sys.argv[1], sys.argv[2:]
    env = {k: v for k, v in os.environ.items() if k.startswith("PYLIC_HLS")}
    with open(os.environ["PYLIC_STANDIN_LOG"], "a") as fh:
        fh.write(json.dumps({"tool": tool, "argv": argv, "cwd": os.getcwd(), "env": env}) + "\n")
    {"vitis_hls": vitis_hls, "vivado": vivado, "v++": vpp, "vai_c_xir": vai_c_xir}[tool](argv)


if __name__ == "__main__":
    main()
