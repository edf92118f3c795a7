"""Tasks: what the one trainer (train/loop.py) asks of each kind of recipe.

A task is a recipe schema (`Recipe`, a dataclass whose sections are typed; see train/config.py) and an
objective: the networks it trains, its data, and the loss terms of its two steps.  The trainer owns
everything else (the run folder, precision, EMA, optimizers, prepare and resume, the data order,
accumulation, clipping, logging, checkpoints, export), the same for every task.

    class Task:
        Recipe: type                  # the recipe schema; Recipe.check(tree) refuses ignored keys
        nets: dict[str, nn.Module]    # "generator" first, then what the critic optimizer trains; the trainer
                                      # swaps in their prepared (DDP) selves, in this order (the checkpoint's)
        weights: dict[str, float]     # every loss term's weight, by the term's name
        sample_every: int             # steps between samples in TensorBoard
        val_every: int                # steps between validations; 0: none
        select: str                   # the validation score that picks best.safetensors, or "last"
        select_key: str               # the score kept as the run's best (result.json)

        def __init__(self, recipe, recipe_path, accelerator)   # builds and initialises the networks
        def critic_groups(self) -> list[dict]                  # Adam parameter groups (with lr) of the critic
                                                               # side; [] when there is none
        def dataset(self) -> Dataset                           # sample i a function of (seed, i) alone
        def generator_step(self, batch, step, micro) -> (terms, carry)  # unweighted terms; the critics are
                                                               # frozen here; carry: what the critic step needs
        def critic_step(self, batch, carry, step) -> terms
        def validate(self, module) -> dict | None              # every process calls it (each scores its share)
        def log_samples(self, tracker, module, batch, carry, step)
        def card(self, step, scores) -> dict                   # the exported model's card

`TASKS` maps `model.task` to its task.
"""
from __future__ import annotations

from .enhance_task import EnhanceTask
from .synth_task import SynthesisTask

TASKS = {"super-resolution": EnhanceTask, "denoise": EnhanceTask, "restore": EnhanceTask,
         "synthesis": SynthesisTask}
