"""Parameter-space symmetry: equivalent networks, canonical forms, alignment.

Three rooms: :mod:`.slots` (hidden slots and unit permutations), :mod:`.orbits` (orbit sizes
and random orbit points), :mod:`.canonical` (canonical forms, equivalence, interpolation,
alignment).  Deciding whether two networks compute the same function, and region counts along
parameter paths, need the compiler and the region enumerator: they live in
:mod:`tropnet.studies.same_function`.

Permuting the hidden units of a layer — the rows of its weight and bias and the matching
columns of the next layer's weight — changes the parameters but not the function
(Michelucci, *On the High Symmetry of Neural Network Functions*, 2022).  So a generic
parameter point has ``prod_l n_l!`` equivalent copies, ``n_l`` the width (or number of
filters) of hidden layer ``l``.  For ReLU and leaky-ReLU units there is also the positive
rescaling symmetry: incoming weights and bias times ``lam > 0``, outgoing weights divided
by ``lam``.

*Hidden slots.*  A network is read as affine layers (:class:`~tropnet.networks.layers.Linear`,
:class:`~tropnet.networks.conv.Conv1d`, :class:`~tropnet.networks.conv.Conv2d`, and the
DeepSets layer :class:`~tropnet.networks.equivariant.EquivariantLinear`, whose units are its
output channels) separated by layers that commute with the permutation of their units:

* pointwise activations (``ReLU``, ``Threshold``, ``LeakyReLU``, ``Identity``) and
  ``Flatten``: any permutation of the units (of the channels after a convolution);
* :class:`~tropnet.networks.layers.Maxout` ``(k)`` after a ``Linear``: permutations of whole
  groups of ``k`` units and within a group (the wreath product ``S_k wr S_m``, of order
  ``m! (k!)^m``);
* ``MaxPool2d``/``AvgPool2d`` after a convolution, ``SumPool`` after a DeepSets layer:
  permutations of the channels.

A convolution with ``groups > 1`` (as producer or consumer of a slot) only allows channel
permutations inside the blocks its groups define.  Any other layer between two affine
layers (``GroupMax``, ``MaxPool1d``, algebra-valued layers, ...) raises a ``TypeError``
naming it: it has no known parameter symmetry here.  Rescaling applies to slots whose
activations are positively homogeneous (``ReLU``, ``Threshold(0)``, ``LeakyReLU``,
``Identity``, ``Maxout`` (per group), pools); a ``Threshold(t)`` with ``t != 0`` stops it.

*Graph networks* (:class:`~tropnet.Residual`, :class:`~tropnet.Graph`, what
``Network.from_torch``/``from_onnx`` make of residual models).  A hidden layer is a set of
units that one affine layer makes and exactly one affine layer reads, through the layers
above: the units inside a residual branch (``Linear -> ReLU -> Linear`` in ``F`` of
``x + F(x)``).  Their permutations and positive rescalings are symmetries as before: the
producer's rows and the consumer's columns move together.  Units that meet an ``Add``, a
``Concat``, a second reader or the output — the residual stream and the skip paths — are
*not* permuted: an identity path adds unit ``i`` of one layer to unit ``i`` of another, so
they could only move together with every layer writing into and reading from the stream
(a joint permutation tropnet does not apply).  Everything here (counts, orbits, canonical
forms, ``equivalent``, ``align``, ``interpolate``) acts with the group of these private
hidden layers, which :func:`hidden_layers` lists (addresses ``(layer, node, ...)``); two
networks that differ by a permutation of their residual stream are therefore not
``equivalent`` here (``same_function`` still decides their functions).  A branch unit
passing a layer with no known symmetry (``GroupMax``, per-unit ``PReLU`` slopes, ...) is
refused with a ``TypeError`` naming the node.

*Permutation convention.*  ``perm[i] = j`` means that new unit ``i`` is old unit ``j``:
``W_new = W[perm]``, ``b_new = b[perm]``, ``W_next_new = W_next[:, perm]``.

Examples
--------
>>> import numpy as np
>>> from tropnet import random_mlp
>>> net = random_mlp([2, 3, 2, 1], seed=0)
>>> equivalent_parameter_count(net)
ParameterCount(architecture=12, orbit=12)
>>> other = random_equivalent(net, seed=1, rescale=True)
>>> equivalent(net, other)
True
>>> bool(np.allclose(net([[0.3, -1.2]]), other([[0.3, -1.2]])))
True
"""

from .canonical import align, canonical_form, equivalent, interpolate
from .orbits import ParameterCount, equivalent_parameter_count, random_equivalent
from .slots import hidden_layers, permute_hidden

__all__ = [
    "ParameterCount",
    "hidden_layers",
    "permute_hidden",
    "equivalent_parameter_count",
    "random_equivalent",
    "canonical_form",
    "equivalent",
    "align",
    "interpolate",
]
