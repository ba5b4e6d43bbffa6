"""micrograd's trace/draw_dot idea on PyTorch's graph: walk loss.grad_fn.next_functions back to
the leaves (AccumulateGrad nodes holding .variable) and count what a drawing would show."""
import torch

a = torch.tensor(2.0, requires_grad=True)
b = torch.tensor(-3.0, requires_grad=True)
c = torch.tensor(10.0, requires_grad=True)
e = a * b
d = e + c
f = torch.tensor(-2.0, requires_grad=True)
L = d * f + a  # a is used twice: one leaf node, two edges into the graph


def trace(root):
    nodes, edges, stack = set(), set(), [root.grad_fn]
    while stack:
        node = stack.pop()
        if node in nodes:
            continue
        nodes.add(node)
        for child, _ in node.next_functions:
            if child is not None:
                edges.add((child, node))
                stack.append(child)
    return nodes, edges


nodes, edges = trace(L)
leaves = [n for n in nodes if hasattr(n, "variable")]
print("nodes", len(nodes), "edges", len(edges), "leaves", len(leaves))
print("leaf values", sorted(n.variable.item() for n in leaves))
L.backward()
print("L", L.item(), "grads", a.grad.item(), b.grad.item(), c.grad.item(), f.grad.item())
