"""Which assignment a command means when the instructor does not say."""
import pytest

from d2lblocks_grade.course.locate import assignment_id


def course_with(tmp_path, *names, config=""):
    for name in names:
        (tmp_path / "source" / name).mkdir(parents=True)
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n" + config)
    return tmp_path


def test_the_only_assignment_is_the_default(tmp_path):
    assert assignment_id(course_with(tmp_path, "week1"), None) == "week1"


def test_an_explicit_assignment_wins(tmp_path):
    assert assignment_id(course_with(tmp_path, "week1", "week2"), "week2") == "week2"


def test_with_several_the_course_config_names_the_default_in_a_setting_nbgrader_does_not_read(tmp_path):
    course = course_with(tmp_path, "week1", "week1-ja", config='c.D2lblocksGrade.default_assignment = "week1"\n')
    assert assignment_id(course, None) == "week1"


def test_a_course_that_sets_nbgraders_own_default_is_still_understood(tmp_path):
    course = course_with(tmp_path, "week1", "week1-ja", config='c.CourseDirectory.assignment_id = "week1"\n')
    assert assignment_id(course, None) == "week1"


def test_our_default_wins_over_nbgraders(tmp_path):
    config = 'c.D2lblocksGrade.default_assignment = "week1-ja"\nc.CourseDirectory.assignment_id = "week1"\n'
    assert assignment_id(course_with(tmp_path, "week1", "week1-ja", config=config), None) == "week1-ja"


@pytest.mark.parametrize("config", ["", 'c.CourseDirectory.assignment_id = "week9"\n',
                                    'c.D2lblocksGrade.default_assignment = "week9"\n'])
def test_with_several_and_no_usable_default_the_error_lists_them_and_says_what_to_pass(tmp_path, config):
    with pytest.raises(FileNotFoundError, match=r"2 assignments \(week1, week2\); say which with --assignment ID"):
        assignment_id(course_with(tmp_path, "week1", "week2", config=config), None)
