"""Parameter and MAC counts from the real layer shapes (used by reports and the perf model)."""

from __future__ import annotations

import torch
import torch.nn as nn


def count_macs(model: nn.Module, height: int, width: int) -> dict[str, int]:
    """MACs of every conv/deconv per transform for one 3xHxW image, found with forward hooks."""
    totals: dict[str, int] = {}
    hooks = []

    for name, mod in model.named_modules():
        if isinstance(mod, (nn.Conv2d, nn.ConvTranspose2d)):
            part = name.split(".")[0]

            def hook(m: nn.Module, inp: tuple, out: torch.Tensor, part: str = part) -> None:
                k = m.kernel_size[0] * m.kernel_size[1]
                if isinstance(m, nn.Conv2d):
                    macs = out.numel() // out.shape[0] * m.in_channels * k // m.groups
                else:  # every input pixel is scattered through the whole kernel
                    x = inp[0]
                    macs = x.numel() // x.shape[0] * m.out_channels * k // m.groups
                totals[part] = totals.get(part, 0) + int(macs)

            hooks.append(mod.register_forward_hook(hook))
    try:
        with torch.no_grad():
            x = torch.zeros(1, 3, height, width)
            y = model.g_a(x)
            z = model.h_a(y)
            model.h_s(z)
            model.g_s(y)
    finally:
        for h in hooks:
            h.remove()
    return totals


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def count_dpu_cycles(model: nn.Module, height: int, width: int, board: str = "zcu102", overlap: int = 0
                     ) -> dict[str, int]:
    """DPU cycles (one B4096 core) per transform for one 3xHxW image coded in 256x256 patches, from the model's
    widths by the compiler's `workload_on_arch` rule (`pylic.perf`): the hardware cost beside `count_macs`."""
    from pylic.perf.layers import ops_from_config
    from pylic.perf.model import dpu_cycles_per_frame
    from pylic.perf.platform import platform_for

    return dpu_cycles_per_frame(ops_from_config(model.cfg), height, width, platform_for(board), overlap)


HD = (720, 1280)  # the paper reports complexity for 1280x720 frames


def model_complexity(model: nn.Module, hw: tuple[int, int] = HD) -> dict:
    """Parameters, MACs and one-core DPU cycles per transform (and totals) for one HxW frame: a model's cost as
    the paper's tables give it, with the DPU's own rounding beside the MAC count."""
    macs, cycles = count_macs(model, *hw), count_dpu_cycles(model, *hw)
    return {"params": count_params(model), "macs": {**macs, "total": sum(macs.values())},
            "dpu_cycles": {**cycles, "total": sum(cycles.values())}}
