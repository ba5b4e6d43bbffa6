"""tinygrad_edu.func: torch.func's function transforms on this engine.

    grad, grad_and_value, vjp      reverse mode (transforms.py on differentiate.py)
    jvp, jacfwd                    forward mode: dual numbers for a top-level jvp (forward_ad.py),
                                   the double-vjp construction under vmap and nesting
    jacrev, hessian                Jacobians and Hessians, vectorised over basis vectors
    vmap                           run a per-sample function once on a batch (vmap.py, batching.py,
                                   op_rules.py)
    functional_call                a Module evaluated with given parameters (stack_module_state:
                                   an ensemble's, stacked for vmap)

Reading order: pytree, batched, batching, forward_ad, op_rules, randomness, vmap, differentiate, transforms,
functional_call; `autograd_functional` holds torch.autograd.functional's forms
(tinygrad_edu.autograd.functional).
"""

from .batched import BatchedTensor, BatchingFallbackWarning, BatchingRuleError
from .batching import BATCHING_RULES
from .op_rules import OP_RULES
from .functional_call import functional_call, stack_module_state
from .pytree import tree_flatten, tree_map, tree_unflatten
from .transforms import grad, grad_and_value, hessian, jacfwd, jacrev, jvp, vjp
from .vmap import vmap

__all__ = ["BATCHING_RULES", "OP_RULES", "BatchedTensor", "BatchingFallbackWarning", "BatchingRuleError",
           "functional_call", "grad", "grad_and_value", "hessian", "jacfwd", "jacrev", "jvp", "stack_module_state",
           "tree_flatten", "tree_map", "tree_unflatten", "vjp", "vmap"]
