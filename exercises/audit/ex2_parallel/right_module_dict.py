# Networks in an nn.ModuleDict; the last dimension computed from the output.
class Parallel(nn.Module):
    def __init__(self, net1, net2):
        super().__init__()
        self.branches = nn.ModuleDict({"first": net1, "second": net2})

    def forward(self, X):
        outputs = [self.branches["first"](X), self.branches["second"](X)]
        return torch.cat(outputs, dim=outputs[0].dim() - 1)
