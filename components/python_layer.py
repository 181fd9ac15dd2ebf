"""PythonLayer: a Lambda layer of Python packages built ahead of the deployment (see the Makefile)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import defaults
from components.base import Transforms, check_transforms, child, physical_name, raise_problems

PYTHON_LAYER_CHILDREN = ("layer",)


@dataclass(frozen=True, kw_only=True)
class PythonLayerArgs:
    """directory: the built layer (relative to the program); Lambda adds its `python/` folder to `sys.path`.
    build_command: what builds it, named in the error when the directory is missing (e.g. `make layers`).
    description: shown in the Lambda console, default "".
    """

    directory: str
    build_command: str
    description: str = ""


def _validate(args: PythonLayerArgs, transforms: Transforms | None) -> list[str]:
    problems: list[str] = []
    check_transforms(transforms, PYTHON_LAYER_CHILDREN, problems)
    packages = os.path.join(args.directory, "python")
    if not os.path.isdir(packages) or not os.listdir(packages):
        problems.append(
            f"layer {args.directory!r} is not built (no packages in {packages}): run `{args.build_command}` first"
        )
    return problems


class PythonLayer(pulumi.ComponentResource):
    """One layer version for the stack's runtime and architecture (python3.13, arm64).

    jose = PythonLayer("jose", PythonLayerArgs(directory="build/layers/jose", build_command="make layers"))
    FunctionArgs(..., layers=(powertools_arn, jose.layer.arn))
    """

    layer: aws.lambda_.LayerVersion

    def __init__(
        self,
        name: str,
        args: PythonLayerArgs,
        transforms: Transforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("eventshop:components:PythonLayer", name, None, opts)
        raise_problems("PythonLayer", name, _validate(args, transforms))
        self.layer = child(
            aws.lambda_.LayerVersion,
            f"{name}-layer",
            self,
            transforms,
            "layer",
            defaults={"description": args.description},
            required={
                "layer_name": physical_name(name),
                "code": pulumi.FileArchive(args.directory),
                "compatible_runtimes": [defaults.LAMBDA_RUNTIME],
                "compatible_architectures": [defaults.LAMBDA_ARCHITECTURE],
            },
        )
        self.register_outputs({"arn": self.layer.arn})
