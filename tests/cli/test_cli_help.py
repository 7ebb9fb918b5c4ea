"""`poser … --help`: every command described, every argument explained, CONFIG spelled alike."""
import argparse

import pytest

from poser_web.cli import build_parser, main


def subcommands():
    parser = build_parser()
    [choices] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return choices, dict(choices.choices)


def test_every_command_is_listed_with_a_summary(capsys):
    choices, commands = subcommands()
    summaries = {action.dest: action.help for action in choices._choices_actions}
    assert set(summaries) == set(commands)
    assert all(summaries.values()), summaries
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert all(name in out for name in commands)


@pytest.mark.parametrize("name", sorted(subcommands()[1]))
def test_every_argument_is_explained(name, capsys):
    parser = subcommands()[1][name]
    assert parser.description, f"poser {name} has no description"
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        assert action.help, f"poser {name}: {action.dest} is not explained"
        if action.dest == "config":
            assert action.metavar == "CONFIG", f"poser {name} spells the config {action.metavar}"
        if not action.option_strings:
            assert action.metavar and action.metavar.isupper(), (name, action.dest)
    with pytest.raises(SystemExit):
        main([name, "--help"])
    assert parser.description.split()[0] in capsys.readouterr().out
