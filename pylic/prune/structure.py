"""Which layers of a ScaleHyperprior may lose output channels, and what else must shrink with them.

A *site* is one hidden feature map: the layer that produces it (its output filters are ranked and
removed), the GDN/IGDN that normalises it (β entries, γ rows and columns), and the layer that reads it
(loses the matching input channels). The latent width M, the hyper-latent width z and the RGB output are
never sites: M and z fix the entropy models and the bitstream, RGB is the image.
"""

from __future__ import annotations

from dataclasses import dataclass

from pylic.models.hyperprior import HyperpriorConfig


@dataclass(frozen=True)
class PruneSite:
    name: str  # "ga0" ... : the config slot, HyperpriorConfig.<field>[<index>]
    producer: str  # state-dict prefix of the layer whose output filters are removed
    producer_deconv: bool  # ConvTranspose2d weights are (in, out, k, k); Conv2d weights are (out, in, k, k)
    norm: str | None  # GDN/IGDN prefix between producer and consumer; None where the activation is ReLU
    consumer: str  # the next layer: loses the same channels as inputs
    consumer_deconv: bool

    @property
    def field(self) -> str:
        return self.name[:2]

    @property
    def index(self) -> int:
        return int(self.name[2:])

    def width(self, cfg: HyperpriorConfig) -> int:
        return int(getattr(cfg, self.field)[self.index])


# Main transforms (the paper prunes these): conv → GDN → conv in g_a, deconv → IGDN → deconv in g_s.
MAIN_SITES: tuple[PruneSite, ...] = (
    PruneSite("ga0", "g_a.0", False, "g_a.1", "g_a.2", False),
    PruneSite("ga1", "g_a.2", False, "g_a.3", "g_a.4", False),
    PruneSite("ga2", "g_a.4", False, "g_a.5", "g_a.6", False),
    PruneSite("gs0", "g_s.0", True, "g_s.1", "g_s.2", True),
    PruneSite("gs1", "g_s.2", True, "g_s.3", "g_s.4", True),
    PruneSite("gs2", "g_s.4", True, "g_s.5", "g_s.6", True),
)

# Hyper transforms (ReLU between layers, so nothing but the two convs changes). Off by default: the
# student's hyperprior is the teacher's, and the paper's Table II keeps the hyper cost fixed.
HYPER_SITES: tuple[PruneSite, ...] = (
    PruneSite("ha0", "h_a.0", False, None, "h_a.2", False),
    PruneSite("ha1", "h_a.2", False, None, "h_a.4", False),
    PruneSite("hs0", "h_s.0", True, None, "h_s.2", True),
    PruneSite("hs1", "h_s.2", True, None, "h_s.4", False),
)


def prunable_sites(include_hyper: bool = False) -> tuple[PruneSite, ...]:
    return MAIN_SITES + (HYPER_SITES if include_hyper else ())


def with_widths(cfg: HyperpriorConfig, widths: dict[str, int]) -> HyperpriorConfig:
    """The config with the given site widths replaced (the shape a pruned model must have)."""
    fields = {f: list(getattr(cfg, f)) for f in ("ga", "gs", "ha", "hs")}
    for name, w in widths.items():
        fields[name[:2]][int(name[2:])] = int(w)
    return HyperpriorConfig(M=cfg.M, z=cfg.z, activation=cfg.activation,
                            **{f: tuple(v) for f, v in fields.items()})  # type: ignore[arg-type]
