"""Small GDN kernels' inputs shared by the HLS tests (codegen, csim mechanics, tool runner): seeded parameters,
int8 test vectors and a hand-written Vitis HLS synthesis report."""

from __future__ import annotations

import numpy as np
import torch
from compressai.layers import GDN

from pylic.fixed import GdnFormat, quantize_gdn
from pylic.models.gdn import export_gdn


def small_params(c: int = 8, inverse: bool = False, fmt: GdnFormat | None = None, name: str = "g_a.1"):
    g = torch.Generator().manual_seed(7)
    m = GDN(c, inverse=inverse)
    with torch.no_grad():
        m.beta.copy_(m.beta_reparam.init(0.2 + torch.rand(c, generator=g)))
        m.gamma.copy_(m.gamma_reparam.init(0.05 * torch.rand(c, c, generator=g) + torch.eye(c) * 0.3))
    beta, gamma, inv = export_gdn(m)
    return quantize_gdn(name, beta, gamma, inv, in_frac=4, out_frac=5, fmt=fmt or GdnFormat())


def small_vectors(c: int = 8, n: int = 3, pixels: int = 64, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(-128, 128, size=(n, pixels, c)).astype(np.int8)


# hand-written in Vitis HLS 2022.1's schema, not a synthesis result
CSYNTH_FIXTURE = """<?xml version="1.0" encoding="UTF-8"?>
<profile>
  <ReportVersion><Version>2022.1</Version></ReportVersion>
  <UserAssignments><unit>ns</unit><ProductFamily>zynquplus</ProductFamily><Part>xczu9eg-ffvb1156-2-e</Part>
    <TopModelName>gdn_ga1</TopModelName><TargetClockPeriod>3.33</TargetClockPeriod></UserAssignments>
  <PerformanceEstimates>
    <SummaryOfTimingAnalysis><unit>ns</unit><EstimatedClockPeriod>2.433</EstimatedClockPeriod></SummaryOfTimingAnalysis>
    <SummaryOfOverallLatency><unit>clock cycles</unit><Best-caseLatency>1048790</Best-caseLatency>
      <Average-caseLatency>1048790</Average-caseLatency><Worst-caseLatency>1048790</Worst-caseLatency>
      <Interval-min>1048791</Interval-min><Interval-max>1048791</Interval-max></SummaryOfOverallLatency>
  </PerformanceEstimates>
  <AreaEstimates>
    <Resources><BRAM_18K>66</BRAM_18K><DSP>66</DSP><FF>23456</FF><LUT>34567</LUT><URAM>0</URAM></Resources>
    <AvailableResources><BRAM_18K>1824</BRAM_18K><DSP>2520</DSP><FF>548160</FF><LUT>274080</LUT><URAM>0</URAM>
    </AvailableResources>
  </AreaEstimates>
</profile>
"""
