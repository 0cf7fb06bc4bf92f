"""Float model + quantization plan -> DeployPackage: int8 weights and biases at the plan's positions
(round half away from zero, saturated), GDN/iGDN through the golden parameter export (`pylic.fixed`), entropy
tables with integer medians and the integer scale-index thresholds."""

from __future__ import annotations

import numpy as np
import torch.nn as nn

from pylic.deploy import entropy, gdn_io
from pylic.deploy.manifest import FORMAT, FORMAT_VERSION, DeployError, EntropySpec, Manifest, OpSpec, PixelSpec
from pylic.deploy.store import DeployPackage
from pylic.fixed.gdn_params import GdnFormat, quantize_gdn
from pylic.models.gdn import export_gdn
from pylic.models.hyperprior import ScaleHyperprior
from pylic.quant.graph import input_tensor, model_ops
from pylic.quant.plan import QuantPlan
from pylic.quant.rounding import quantize_param


def gdn_format(precision: str) -> GdnFormat:
    """mixed: the golden kernel's default 32-bit-class format; single: everything at 8 bits (the ablation)."""
    return GdnFormat() if precision == "mixed" else GdnFormat.all_8bit()


def _conv_spec(op_name: str, kind: str, m: nn.Module, plan: QuantPlan, arrays: dict) -> OpSpec:
    m = getattr(m, "inner", m)
    k = m.kernel_size
    if k[0] != k[1] or m.stride[0] != m.stride[1] or m.padding[0] != m.padding[1] or m.groups != 1 \
            or m.dilation != (1, 1) or m.bias is None:
        raise DeployError(f"{op_name}: only square, ungrouped, undilated convs with bias map to the DPU")
    lp = plan.layers[op_name]
    arrays[f"{op_name}.weight"] = quantize_param(m.weight.detach().double().numpy(), lp.fp_w)
    arrays[f"{op_name}.bias"] = quantize_param(m.bias.detach().double().numpy(), lp.fp_b)
    out_pad = m.output_padding[0] if kind == "deconv" else 0
    return OpSpec(op=kind, name=op_name, in_channels=m.in_channels, out_channels=m.out_channels, input=lp.fp_in,
                  output=lp.fp_out, kernel=k[0], stride=m.stride[0], padding=m.padding[0], output_padding=out_pad,
                  weight=lp.fp_w, bias=lp.fp_b, shift_cut=lp.shift_cut, shift_bias=lp.shift_bias)


def build_package(model: ScaleHyperprior, plan: QuantPlan, patch: int = 256, source: dict | None = None
                  ) -> DeployPackage:
    """Quantize `model` (float weights, after QAT if any) with `plan` into a validated DeployPackage."""
    from pylic.quant.pixel_fold import fold_pixels, pixel_constants

    pos = plan.positions
    model = fold_pixels(model, plan.config, pos[model_ops(model)["g_s"][-1].name])
    graph = model_ops(model)
    arrays: dict[str, np.ndarray] = {}
    transforms: dict[str, tuple[OpSpec, ...]] = {}
    fmt = gdn_format(plan.config.precision)
    for t, ops in graph.items():
        specs = []
        for i, op in enumerate(ops):
            src = input_tensor(ops, i)
            ch = specs[-1].out_channels if specs else None
            if op.kind in ("conv", "deconv"):
                specs.append(_conv_spec(op.name, op.kind, op.module, plan, arrays))
            elif op.kind in ("gdn", "igdn"):
                beta, gamma, inverse = export_gdn(getattr(op.module, "inner", op.module))
                params = quantize_gdn(op.name, beta, gamma, inverse, pos[src], pos[op.name], fmt)
                scalars, gdn_arrays = gdn_io.to_package(params)
                arrays.update({f"{op.name}.{k}": v for k, v in gdn_arrays.items()})
                specs.append(OpSpec(op=op.kind, name=op.name, in_channels=params.channels,
                                    out_channels=params.channels, input=pos[src], output=pos[op.name], gdn=scalars))
            else:  # relu, abs
                c = ch if ch is not None else model.cfg.M
                specs.append(OpSpec(op=op.kind, name=op.name, in_channels=c, out_channels=c, input=pos[src],
                                    output=pos[op.name]))
        transforms[t] = tuple(specs)
    sigma_pos = transforms["h_s"][-1].output
    arrays.update(entropy.eb_tables(model.entropy_bottleneck))
    gc_arrays, bound = entropy.gc_tables(model.gaussian_conditional, sigma_pos,
                                         matched=plan.config.sigma_table == "matched")
    arrays.update(gc_arrays)
    manifest = Manifest(
        format=FORMAT, format_version=FORMAT_VERSION, config=model.cfg, patch=patch,
        precision=plan.config.precision,
        pixels=PixelSpec(input_position=pos["g_a.in"], output_position=transforms["g_s"][-1].output,
                         **pixel_constants(plan.config, transforms["g_s"][-1].output)),
        transforms=transforms,
        entropy=EntropySpec(z_channels=model.cfg.z, y_levels=int(gc_arrays["gc.scale_table"].size),
                            scale_bound=bound, sigma_position=sigma_pos),
        arrays={}, source={"quant_notes": list(plan.notes), **(source or {})},
    )
    return DeployPackage.make(manifest, arrays)
