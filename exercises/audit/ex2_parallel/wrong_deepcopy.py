# Registers deep copies of the networks: same numbers at first, but the caller's networks are never trained or moved.
import copy


class Parallel(nn.Module):
    def __init__(self, net1, net2):
        super().__init__()
        self.net1 = copy.deepcopy(net1)
        self.net2 = copy.deepcopy(net2)

    def forward(self, X):
        return torch.cat((self.net1(X), self.net2(X)), dim=-1)
