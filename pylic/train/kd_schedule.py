"""The distillation weights α, β, γ over time (paper §IV-A1) and the plateau rule that switches them.

Early phase α=1.0, β=0.1 (match the teacher's latents); late phase α=0.1, β=1.0 (match its decoded
images); γ=0.5 throughout (keeps the RD task). This follows the paper's text; its Table I prints the two
columns the other way round, which contradicts the text and the stated intent, so the text wins.

Plateau rule: keep a bias-corrected EMA of the latent loss (decay `ema`: an average over about
1/(1−ema) steps, so `window` should be at least that long), averaged over all DDP ranks so that every
rank switches at the same step. At the end of every `window` early-phase steps compare the EMA with its
value one window earlier; when the relative improvement (before − now)/before is below `rel_tol` (a
rising loss counts as no improvement), the latent loss has plateaued and the schedule switches to the
late phase, once and for good. `min_steps` delays the first possible switch; `max_steps` forces it (the
paper's fixed 250K steps per phase).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class PlateauRule:
    window: int = 200
    rel_tol: float = 0.01
    ema: float = 0.98
    min_steps: int = 0
    max_steps: int = 0  # 0: no forced switch


@dataclass(frozen=True)
class KDWeights:
    alpha: float
    beta: float
    gamma: float


class KDSchedule:
    """Stateful: call `observe(step, latent_loss)` once per step; `weights` gives the current α, β, γ."""

    def __init__(self, rule: PlateauRule = PlateauRule(), early: tuple[float, float] = (1.0, 0.1),
                 late: tuple[float, float] = (0.1, 1.0), gamma: float = 0.5):
        self.rule, self.early, self.late, self.gamma = rule, early, late, gamma
        self.phase = "early"
        self.switched_at: int | None = None
        self.reason = ""
        self._raw = 0.0
        self._ema: float | None = None
        self._ref: float | None = None
        self._seen = 0

    @property
    def weights(self) -> KDWeights:
        a, b = self.early if self.phase == "early" else self.late
        return KDWeights(a, b, self.gamma)

    def observe(self, step: int, latent_loss: float) -> bool:
        """Record the latent loss of `step`; True exactly when this observation switched the phase."""
        if self.phase != "early":
            return False
        r = self.rule
        self._raw = r.ema * self._raw + (1 - r.ema) * latent_loss
        self._seen += 1
        self._ema = self._raw / (1 - r.ema ** self._seen)  # bias-corrected, as in Adam: no pull towards 0
        if r.max_steps and self._seen >= r.max_steps:
            return self._switch(step, "max_steps")
        if self._seen % r.window:
            return False
        ref, self._ref = self._ref, self._ema
        if ref is None or self._seen < r.min_steps or ref <= 0:
            return False
        if (ref - self._ema) / ref < r.rel_tol:
            return self._switch(step, f"plateau: latent EMA {ref:.4g} -> {self._ema:.4g} over {r.window} steps")
        return False

    def _switch(self, step: int, reason: str) -> bool:
        self.phase, self.switched_at, self.reason = "late", step, reason
        return True

    def state_dict(self) -> dict:
        return {"phase": self.phase, "switched_at": self.switched_at, "reason": self.reason, "ema": self._ema,
                "raw": self._raw, "ref": self._ref, "seen": self._seen, "rule": asdict(self.rule)}

    def load_state_dict(self, state: dict) -> None:
        self.phase, self.switched_at, self.reason = state["phase"], state["switched_at"], state["reason"]
        self._ema, self._ref, self._seen = state["ema"], state["ref"], int(state["seen"])
        self._raw = float(state["raw"])
