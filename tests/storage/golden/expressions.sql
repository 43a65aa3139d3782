-- eq_true: (F('ok') == True)
SELECT samples.id AS id FROM samples WHERE samples.ok IS ? ORDER BY samples._rowid;

-- eq_false: (F('ok') == False)
SELECT samples.id AS id FROM samples WHERE samples.ok IS ? ORDER BY samples._rowid;

-- not_eq_true_includes_missing: ~(F('ok') == True)
SELECT samples.id AS id FROM samples WHERE samples.ok IS NOT ? ORDER BY samples._rowid;

-- eq_none: (F('ok') == None)
SELECT samples.id AS id FROM samples WHERE samples.ok IS NULL ORDER BY samples._rowid;

-- ne_value_includes_missing: (F('n') != 2)
SELECT samples.id AS id FROM samples WHERE samples.n IS NOT ? ORDER BY samples._rowid;

-- lt_includes_missing: (F('n') < 3)
SELECT samples.id AS id FROM samples WHERE samples.n IS NULL OR samples.n IS NOT NULL AND samples.n < 3 ORDER BY samples._rowid;

-- ge_float: (F('x') >= 0.5)
SELECT samples.id AS id FROM samples WHERE samples.x IS NOT NULL AND samples.x >= 0.5 ORDER BY samples._rowid;

-- field_truthiness: F('ok')
SELECT samples.id AS id FROM samples WHERE coalesce(samples.ok, 0) = 1 ORDER BY samples._rowid;

-- and_or: (((F('ok') == True) & (F('n') > 0)) | (F('s') == 'zeta'))
SELECT samples.id AS id FROM samples WHERE samples.ok IS ? AND samples.n IS NOT NULL AND samples.n > 0 OR samples.s IS ? ORDER BY samples._rowid;

-- all_empty_is_true: True
SELECT samples.id AS id FROM samples WHERE 1 = 1 ORDER BY samples._rowid;

-- any_empty_is_false: False
SELECT samples.id AS id FROM samples WHERE 0 = 1 ORDER BY samples._rowid;

-- all_two: ((F('ok') == True) & (F('n') == 1))
SELECT samples.id AS id FROM samples WHERE samples.ok IS ? AND samples.n IS ? ORDER BY samples._rowid;

-- any_two: ((F('ok') == False) | (F('n') == 3))
SELECT samples.id AS id FROM samples WHERE samples.ok IS ? OR samples.n IS ? ORDER BY samples._rowid;

-- arithmetic: ((2 * (F('n') + 1)) == 8)
SELECT samples.id AS id FROM samples WHERE ? * (samples.n + ?) IS ? ORDER BY samples._rowid;

-- division_is_true_division: ((F('n') / 2) == 1.5)
SELECT samples.id AS id FROM samples WHERE CAST(samples.n AS FLOAT) / (nullif(?, ?) + 0.0) IS ? ORDER BY samples._rowid;

-- division_by_zero_is_missing: (F('n') / 0).exists(True)
SELECT samples.id AS id FROM samples WHERE CAST(samples.n AS FLOAT) / (nullif(0, 0) + 0.0) IS NOT NULL ORDER BY samples._rowid;

-- mod: ((F('n') % 2) == 1)
SELECT samples.id AS id FROM samples WHERE samples.n % nullif(?, ?) IS ? ORDER BY samples._rowid;

-- abs_neg: (-F('x').abs() > 0.7)
SELECT samples.id AS id FROM samples WHERE abs(-samples.x) IS NOT NULL AND abs(-samples.x) > 0.7 ORDER BY samples._rowid;

-- round: (F('x').round(1) == 0.3)
SELECT samples.id AS id FROM samples WHERE round(samples.x, ?) IS ? ORDER BY samples._rowid;

-- is_in: F('s').is_in(['alpha', 'zeta'])
SELECT samples.id AS id FROM samples WHERE samples.s IS NOT NULL AND samples.s IN ('alpha', 'zeta') ORDER BY samples._rowid;

-- is_in_empty: F('s').is_in([])
SELECT samples.id AS id FROM samples WHERE 0 = 1 ORDER BY samples._rowid;

-- exists: F('s').exists(True)
SELECT samples.id AS id FROM samples WHERE samples.s IS NOT NULL ORDER BY samples._rowid;

-- exists_false: F('s').exists(False)
SELECT samples.id AS id FROM samples WHERE samples.s IS NULL ORDER BY samples._rowid;

-- is_null: F('x').is_null()
SELECT samples.id AS id FROM samples WHERE samples.x IS NULL ORDER BY samples._rowid;

-- starts_with: F('s').starts_with(['al'], True)
SELECT samples.id AS id FROM samples WHERE coalesce(substr(samples.s, 1, 2) = 'al', 0) = 1 ORDER BY samples._rowid;

-- starts_with_any_case: F('s').starts_with(['AL', 'Ze'], False)
SELECT samples.id AS id FROM samples WHERE coalesce(substr(lower(samples.s), 1, 2) = 'al' OR substr(lower(samples.s), 1, 2) = 'ze', 0) = 1 ORDER BY samples._rowid;

-- ends_with: F('s').ends_with(['ta'], True)
SELECT samples.id AS id FROM samples WHERE coalesce(substr(samples.s, (length(samples.s) - 2) + 1) = 'ta', 0) = 1 ORDER BY samples._rowid;

-- contains_str: F('s').contains_str(['et'], True)
SELECT samples.id AS id FROM samples WHERE coalesce(instr(samples.s, 'et') > 0, 0) = 1 ORDER BY samples._rowid;

-- contains_str_case: F('s').contains_str(['ET'], False)
SELECT samples.id AS id FROM samples WHERE coalesce(instr(lower(samples.s), 'et') > 0, 0) = 1 ORDER BY samples._rowid;

-- lower_upper: (F('s').upper().lower() == 'beta')
SELECT samples.id AS id FROM samples WHERE lower(upper(samples.s)) IS ? ORDER BY samples._rowid;

-- strlen: (F('s').strlen() == 4)
SELECT samples.id AS id FROM samples WHERE length(samples.s) IS ? ORDER BY samples._rowid;

-- re_match: F('s').re_match('^[ab]', '')
SELECT samples.id AS id FROM samples WHERE coalesce(samples.s REGEXP '^[ab]', 0) = 1 ORDER BY samples._rowid;

-- re_match_i: F('s').re_match('^Z', 'i')
SELECT samples.id AS id FROM samples WHERE coalesce(samples.s REGEXP '(?i)^Z', 0) = 1 ORDER BY samples._rowid;

-- if_else: ((F('n') > 1).if_else(F('n'), 0) == 3)
SELECT samples.id AS id FROM samples WHERE CASE WHEN (samples.n IS NOT NULL AND samples.n > ?) THEN samples.n ELSE ? END IS ? ORDER BY samples._rowid;

-- label_path: (F('gt.label') == 'cat')
SELECT samples.id AS id FROM samples WHERE samples."gt.label" IS ? ORDER BY samples._rowid;

-- label_confidence: (F('gt.confidence') > 0.5)
SELECT samples.id AS id FROM samples WHERE samples."gt.confidence" IS NOT NULL AND samples."gt.confidence" > 0.5 ORDER BY samples._rowid;

-- document_exists: F('gt').exists(True)
SELECT samples.id AS id FROM samples WHERE samples.gt IS NOT NULL ORDER BY samples._rowid;

-- tags_contains: F('tags').contains(['hard'], False)
SELECT samples.id AS id FROM samples WHERE coalesce(EXISTS (SELECT 1 AS anon_1 FROM json_each(samples.tags) AS anon_2 WHERE anon_2.value = 'hard'), 0) = 1 ORDER BY samples._rowid;

-- tags_contains_all: F('tags').contains(['hard', 'blurry'], True)
SELECT samples.id AS id FROM samples WHERE coalesce((EXISTS (SELECT 1 AS anon_1 FROM json_each(samples.tags) AS anon_2 WHERE anon_2.value = 'hard')) AND (EXISTS (SELECT 1 AS anon_3 FROM json_each(samples.tags) AS anon_2 WHERE anon_2.value = 'blurry')), 0) = 1 ORDER BY samples._rowid;

-- tags_length: (F('tags').length() == 0)
SELECT samples.id AS id FROM samples WHERE coalesce(json_array_length(samples.tags), ?) IS ? ORDER BY samples._rowid;

