# Networks in an nn.ModuleList, outputs joined with torch.hstack.
class Parallel(nn.Module):
    def __init__(self, net1, net2):
        super().__init__()
        self.branches = nn.ModuleList([net1, net2])

    def forward(self, X):
        return torch.hstack([branch(X) for branch in self.branches])
