# An nn.Sequential used only as a registered container: its branches are run one by one, never chained.
class Parallel(nn.Module):
    def __init__(self, net1, net2):
        super().__init__()
        self.branches = nn.Sequential(net1, net2)

    def forward(self, X):
        return torch.cat([branch(X) for branch in self.branches], dim=-1)
