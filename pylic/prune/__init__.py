"""Iterative channel pruning (paper §III-C): which layers (structure), which channels go (criteria), how they
are cut (channels), fine-tuning until RD recovers (finetune), the loop (iterative), the `invoke prune` entry
point (run) and criteria side by side (compare)."""

from pylic.prune.channels import keep_count, lowest_norm_channels, remove_channels, zero_channels
from pylic.prune.iterative import PruneSchedule, PruneState, iterative_prune, prune_once
from pylic.prune.run import PruneConfig, run_prune
from pylic.prune.structure import HYPER_SITES, MAIN_SITES, PruneSite, prunable_sites, with_widths

__all__ = [
    "HYPER_SITES", "MAIN_SITES", "PruneConfig", "PruneSchedule", "PruneSite", "PruneState", "iterative_prune",
    "keep_count", "lowest_norm_channels", "prunable_sites", "prune_once", "remove_channels", "run_prune",
    "with_widths", "zero_channels",
]
