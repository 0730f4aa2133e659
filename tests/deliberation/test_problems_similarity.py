"""The pure similarity core: which matters look like one problem (no database)."""

from deliberation.problems.similarity import MatterText, keywords, score, suggest_groups

EV_1 = "楼道里有人给电动车充电,很危险"
EV_2 = "5号楼楼道电瓶车飞线充电,请管一管"
EV_3 = "电动自行车在楼道充电,存在火灾隐患"
LAMP = "楼道灯坏了,晚上很黑"
FIRE_LANE_1 = "消防通道上停满了车"
FIRE_LANE_2 = "小区消防车通道被私家车占用"
BINS = "垃圾桶满了没人清理"


def test_the_words_residents_use_for_one_thing_become_one_term() -> None:
    assert {"电动车", "充电"} <= keywords(EV_2)  # 电瓶车, 飞线 → 电动车, 充电
    assert {"电动车", "充电"} <= keywords(EV_3)  # 电动自行车 → 电动车
    assert "消防通道" in keywords(FIRE_LANE_2)  # 消防车通道 → 消防通道


def test_the_same_complaint_in_other_words_scores_high_and_different_ones_low() -> None:
    assert score(EV_1, EV_2) >= 50
    assert score(EV_1, EV_3) >= 50
    assert score(FIRE_LANE_1, FIRE_LANE_2) >= 50
    assert score(EV_1, LAMP) < 50
    assert score(EV_1, BINS) == 0
    assert score(FIRE_LANE_1, BINS) == 0


def test_groups_need_the_same_category_and_place() -> None:
    matters = [
        MatterText(1, "safety", EV_1, building_id=5),
        MatterText(2, "safety", EV_2, building_id=5),
        MatterText(3, "safety", EV_3, building_id=6, grid_id=1),  # other building, same grid
        MatterText(4, "safety", EV_3, building_id=7, grid_id=2),  # other grid: never joined
        MatterText(5, "charging", EV_1, building_id=5),  # other category
        MatterText(6, "safety", EV_1),  # place unknown
    ]
    groups = suggest_groups(matters)
    assert [g.ids for g in groups] == [(1, 2)]
    matters[0] = MatterText(1, "safety", EV_1, building_id=5, grid_id=1)
    assert [g.ids for g in suggest_groups(matters)] == [(1, 2, 3)]


def test_grouping_is_transitive_and_reports_the_best_score() -> None:
    matters = [
        MatterText(1, "safety", EV_1, grid_id=1),
        MatterText(2, "safety", EV_2, grid_id=1),
        MatterText(3, "safety", EV_3, grid_id=1),
        MatterText(4, "safety", LAMP, grid_id=1),
    ]
    [group] = suggest_groups(matters)
    assert group.ids == (1, 2, 3)
    assert 50 <= group.score <= 100


def test_existing_matters_are_compared_with_new_ones_only() -> None:
    existing = [
        MatterText(1, "safety", EV_1, grid_id=1),
        MatterText(2, "safety", EV_2, grid_id=1),
    ]
    # Two old matters alike are not a new suggestion (they were compared when they came in).
    assert suggest_groups([], existing) == []
    groups = suggest_groups([MatterText(9, "safety", EV_3, grid_id=1)], existing)
    assert [g.ids for g in groups] == [(1, 2, 9)]
    assert suggest_groups([MatterText(9, "safety", BINS, grid_id=1)], existing) == []
