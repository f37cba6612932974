"""Dose-response of a drug: `python -m sims.experiments.dose_response --drug NAME --doses 0,0.25,0.5,0.75,1
[--full] [--seeds S,...] [--out DIR] [KEY=VALUE ...]` gives the drug at each dose in the treatment block of its
protocol (sims/conf/protocol/NAME.yaml; a drug without one takes scopolamine's layout: baseline, treatment,
recovery; quick mode's blocks as every experiment's), in graded mode
(`neuromod.mode=graded`: a modulator's level also scales what it gates, so doses act gradually), beside controls
without the drug; the report adds `dose_response.png`: each measure's effect (dose minus control, paired by seed)
against the dose with its 95% CI. Dose 0 lives the protocol without the drug: its effect should be nil. The drug's
predictions are those of its own experiment script where it has one (scopolamine, physostigmine, ssri), tested at
every dose; `hydra/launcher=cohort` trains the doses as one cohort."""
import sys

from omegaconf import OmegaConf

from neuromod.drugs import DRUGS
from sims.experiments.design import Experiment, as_plain, from_config, load
from sims.experiments.runner import Parser, fail, run

OWN = ("scopolamine", "physostigmine", "ssri")  # drugs with an experiment (and protocol) of their own
# Quick mode shows the design, not an answer: every dose is a condition, so the experiments' 12 epochs x 8 seeds would
# take about 40 minutes on 2 CPU cores; 2 epochs of treatment over 3 seeds take minutes and cannot confirm an effect.
QUICK = {"overrides": ["epochs=6"], "seeds": "0,1,2",
         "blocks": ["protocol.blocks.0.stop=3", "protocol.blocks.1.start=3", "protocol.blocks.1.stop=5",
                    "protocol.blocks.2.start=5"],
         "pilot": "not piloted. Quick mode demonstrates the design (2 epochs of treatment, 3 seeds), which cannot confirm "
                  "an effect: the drugs' own experiments, piloted at 10 epochs of treatment, say what this scale can "
                  "answer; --full runs the protocol's 20 epochs of treatment"}


def experiment(drug: str, doses: list[float]) -> Experiment:
    return from_config(OmegaConf.create({
        "title": f"Dose-response of {drug}",
        "protocol": drug if drug in OWN else "scopolamine",  # the drug's own protocol file, else its layout
        "manipulation_block": "treatment", "common": ["neuromod.mode=graded"],
        "sweep": [f"protocol.drugs.0.name={drug}", "protocol.drugs.0.dose=" + ",".join(f"{d:g}" for d in doses)],
        "names_from": "protocol.drugs.0.dose", "names_format": "dose {}", "axis": "protocol.drugs.0.dose",
        "notes": f"the same seed, images, steps and updates at every dose and in the controls (no drug); only the "
                 f"levels of the treatment block's nights change, graded by the dose of {drug}.",
        "predictions": as_plain(load(drug))["predictions"] if drug in OWN else [],
        "quick": QUICK}),
        f"dose_response_{drug}", "python -m sims.experiments.dose_response")


def doses_of(text: str) -> list[float]:
    try:
        doses = [float(d) for d in text.split(",")]
    except ValueError:
        fail(f"python -m sims.experiments.dose_response: --doses {text}: a comma-separated list of numbers")
    if not doses or any(not 0 <= d <= 10 for d in doses) or len(set(doses)) < len(doses):
        fail(f"python -m sims.experiments.dose_response: --doses {text}: distinct doses in [0, 10]")
    return doses


def main(argv: list[str] | None = None):
    parser = Parser(prog="python -m sims.experiments.dose_response", add_help=False)  # its errors: one line
    parser.add_argument("--drug")
    parser.add_argument("--doses", default="0,0.25,0.5,0.75,1")
    args, rest = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    if args.drug not in DRUGS:
        given = "is required" if args.drug is None else f"{args.drug}:"
        fail(f"python -m sims.experiments.dose_response: --drug {given} one of {', '.join(DRUGS)}")
    exp = experiment(args.drug, doses_of(args.doses))
    return run(exp, rest, prog="python -m sims.experiments.dose_response")


if __name__ == "__main__":
    main()
