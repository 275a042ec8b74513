# One block deep-copied n times: separate tensors, but identical initial weights.
import copy


def replicate(block_factory, n):
    block = block_factory()
    return nn.Sequential(*[copy.deepcopy(block) for _ in range(n)])
