"""The shape checks of Exercise 2: Parallel's output must be one (batch, w1 + w2) tensor, and each wrong way of
joining the two outputs (stacking, flattening, the batch dimension, one output twice or lost) has its own message.

    >>> expect_side_by_side(torch.rand(2, 8), "Parallel(...)(X)", 2, (3, 5))
"""
from d2lblocks.exercises._feedback import expect_tensor, fail
from d2lblocks.exercises._registration import registration_problem
from d2lblocks.i18n import N_, Message

WHY = N_("the next layer needs one row per example, holding both networks' features side by side, as Exercise 2's "
         "instructions describe")
ONE_TENSOR = N_("Parallel must return one tensor of shape {joined}: {why}.")
STACKED = N_("{label} has shape {shape}, {dims} dimensions for a 2-D input: stacking puts the two outputs on a new axis "
             "instead of side by side (torch.stack does that, and it fails when the widths differ). It must be "
             "{joined}: {why}.")
FLATTENED = N_("{label} has shape {shape}, one dimension for a batch of {batch} examples: flattening the outputs "
               "(.flatten(), .view(-1), .reshape(-1)) before or after joining them mixes all examples into one vector, "
               "so nothing tells which features belong to which example. Keep the batch dimension: the result must be "
               "{joined}.")
BATCH_DIM = N_("{label} has {rows} rows for a batch of {batch}: the outputs were joined along the batch dimension "
               "(dim=0), which appends examples instead of features. It must be {joined}: {why}.")
TWICE = N_("{label} has {features} features per example instead of {w1} + {w2}: that is one network's output twice, so "
           "the other network never contributes. It must be {joined}: {why}.")
ONE_LOST = N_("{label} has {features} features per example instead of {w1} + {w2}: adding the outputs, or returning "
              "only one of them, loses one network's features. It must be {joined}: {why}.")
OTHER_SHAPE = N_("{label} has shape {shape} instead of {joined}: {why}.")


def expect_side_by_side(out, label, batch, widths, model=None, nets=()):
    """Parallel's output must be one (batch, w1 + w2) tensor; each wrong way of joining gets its own message."""
    joined = f"({batch}, {widths[0]} + {widths[1]}) = ({batch}, {sum(widths)})"
    why = Message(WHY)
    expect_tensor(out, label, Message(ONE_TENSOR, {"joined": joined, "why": why}), "ex2-cat")
    shape = tuple(out.shape)
    if shape == (batch, sum(widths)):
        return
    if model is not None:
        problem = registration_problem(model, nets, "Parallel")
        if problem and problem.kind == "lost":
            fail(problem.message, problem.fix)
    fields = {"label": label, "shape": str(shape), "joined": joined, "why": why}
    if out.dim() > 2:
        fail(STACKED, "ex2-cat", dims=out.dim(), **fields)
    if out.dim() < 2:
        fail(FLATTENED, "ex2-cat", batch=batch, **fields)
    if shape[0] != batch:
        fail(BATCH_DIM, "ex2-cat", rows=shape[0], batch=batch, **fields)
    if shape[1] != sum(widths) and shape[1] in (2 * widths[0], 2 * widths[1]):
        fail(TWICE, "ex2-cat", features=shape[1], w1=widths[0], w2=widths[1], **fields)
    if shape[1] in widths:
        fail(ONE_LOST, "ex2-cat", features=shape[1], w1=widths[0], w2=widths[1], **fields)
    fail(OTHER_SHAPE, "ex2-cat", **fields)

