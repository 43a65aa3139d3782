-- eq_true: (F('ok') == True)
SELECT samples.id AS id FROM samples WHERE samples.ok IS NOT NULL AND samples.ok = true ORDER BY samples._rowid;

-- eq_false: (F('ok') == False)
SELECT samples.id AS id FROM samples WHERE samples.ok IS NOT NULL AND samples.ok = false ORDER BY samples._rowid;

-- not_eq_true_includes_missing: ~(F('ok') == True)
SELECT samples.id AS id FROM samples WHERE NOT (samples.ok IS NOT NULL AND samples.ok = true) ORDER BY samples._rowid;

-- eq_none: (F('ok') == None)
SELECT samples.id AS id FROM samples WHERE samples.ok IS NULL ORDER BY samples._rowid;

-- ne_value_includes_missing: (F('n') != 2)
SELECT samples.id AS id FROM samples WHERE samples.n IS NULL OR samples.n != 2 ORDER BY samples._rowid;

-- lt_includes_missing: (F('n') < 3)
SELECT samples.id AS id FROM samples WHERE samples.n IS NULL OR samples.n IS NOT NULL AND samples.n < 3 ORDER BY samples._rowid;

-- ge_float: (F('x') >= 0.5)
SELECT samples.id AS id FROM samples WHERE samples.x IS NOT NULL AND samples.x >= 0.5 ORDER BY samples._rowid;

-- field_truthiness: F('ok')
SELECT samples.id AS id FROM samples WHERE coalesce(samples.ok, false) = true ORDER BY samples._rowid;

-- and_or: (((F('ok') == True) & (F('n') > 0)) | (F('s') == 'zeta'))
SELECT samples.id AS id FROM samples WHERE samples.ok IS NOT NULL AND samples.ok = true AND samples.n IS NOT NULL AND samples.n > 0 OR samples.s IS NOT NULL AND samples.s = 'zeta' ORDER BY samples._rowid;

-- all_empty_is_true: True
SELECT samples.id AS id FROM samples WHERE true ORDER BY samples._rowid;

-- any_empty_is_false: False
SELECT samples.id AS id FROM samples WHERE false ORDER BY samples._rowid;

-- all_two: ((F('ok') == True) & (F('n') == 1))
SELECT samples.id AS id FROM samples WHERE samples.ok IS NOT NULL AND samples.ok = true AND samples.n IS NOT NULL AND samples.n = 1 ORDER BY samples._rowid;

-- any_two: ((F('ok') == False) | (F('n') == 3))
SELECT samples.id AS id FROM samples WHERE samples.ok IS NOT NULL AND samples.ok = false OR samples.n IS NOT NULL AND samples.n = 3 ORDER BY samples._rowid;

-- arithmetic: ((2 * (F('n') + 1)) == 8)
SELECT samples.id AS id FROM samples WHERE 2 * (samples.n + 1) IS NOT NULL AND 2 * (samples.n + 1) = 8 ORDER BY samples._rowid;

-- division_is_true_division: ((F('n') / 2) == 1.5)
SELECT samples.id AS id FROM samples WHERE CAST(samples.n AS FLOAT) / CAST(nullif(2, 0) AS NUMERIC) IS NOT NULL AND CAST(samples.n AS FLOAT) / CAST(nullif(2, 0) AS NUMERIC) = 1.5 ORDER BY samples._rowid;

-- division_by_zero_is_missing: (F('n') / 0).exists(True)
SELECT samples.id AS id FROM samples WHERE CAST(samples.n AS FLOAT) / CAST(nullif(0, 0) AS NUMERIC) IS NOT NULL ORDER BY samples._rowid;

-- mod: ((F('n') % 2) == 1)
SELECT samples.id AS id FROM samples WHERE samples.n %% nullif(2, 0) IS NOT NULL AND samples.n %% nullif(2, 0) = 1 ORDER BY samples._rowid;

-- abs_neg: (-F('x').abs() > 0.7)
SELECT samples.id AS id FROM samples WHERE abs(-samples.x) IS NOT NULL AND abs(-samples.x) > 0.7 ORDER BY samples._rowid;

-- round: (F('x').round(1) == 0.3)
SELECT samples.id AS id FROM samples WHERE CAST(round(CAST(samples.x AS NUMERIC), 1) AS FLOAT) IS NOT NULL AND CAST(round(CAST(samples.x AS NUMERIC), 1) AS FLOAT) = 0.3 ORDER BY samples._rowid;

-- is_in: F('s').is_in(['alpha', 'zeta'])
SELECT samples.id AS id FROM samples WHERE samples.s IS NOT NULL AND samples.s IN ('alpha', 'zeta') ORDER BY samples._rowid;

-- is_in_empty: F('s').is_in([])
SELECT samples.id AS id FROM samples WHERE false ORDER BY samples._rowid;

-- exists: F('s').exists(True)
SELECT samples.id AS id FROM samples WHERE samples.s IS NOT NULL ORDER BY samples._rowid;

-- exists_false: F('s').exists(False)
SELECT samples.id AS id FROM samples WHERE samples.s IS NULL ORDER BY samples._rowid;

-- is_null: F('x').is_null()
SELECT samples.id AS id FROM samples WHERE samples.x IS NULL ORDER BY samples._rowid;

-- starts_with: F('s').starts_with(['al'], True)
SELECT samples.id AS id FROM samples WHERE coalesce(substr(samples.s, 1, 2) = 'al', false) ORDER BY samples._rowid;

-- starts_with_any_case: F('s').starts_with(['AL', 'Ze'], False)
SELECT samples.id AS id FROM samples WHERE coalesce(substr(lower(samples.s), 1, 2) = 'al' OR substr(lower(samples.s), 1, 2) = 'ze', false) ORDER BY samples._rowid;

-- ends_with: F('s').ends_with(['ta'], True)
SELECT samples.id AS id FROM samples WHERE coalesce(substr(samples.s, (length(samples.s) - 2) + 1) = 'ta', false) ORDER BY samples._rowid;

-- contains_str: F('s').contains_str(['et'], True)
SELECT samples.id AS id FROM samples WHERE coalesce(strpos(samples.s, 'et') > 0, false) ORDER BY samples._rowid;

-- contains_str_case: F('s').contains_str(['ET'], False)
SELECT samples.id AS id FROM samples WHERE coalesce(strpos(lower(samples.s), 'et') > 0, false) ORDER BY samples._rowid;

-- lower_upper: (F('s').upper().lower() == 'beta')
SELECT samples.id AS id FROM samples WHERE lower(upper(samples.s)) IS NOT NULL AND lower(upper(samples.s)) = 'beta' ORDER BY samples._rowid;

-- strlen: (F('s').strlen() == 4)
SELECT samples.id AS id FROM samples WHERE length(samples.s) IS NOT NULL AND length(samples.s) = 4 ORDER BY samples._rowid;

-- re_match: F('s').re_match('^[ab]', '')
SELECT samples.id AS id FROM samples WHERE coalesce(samples.s ~ '^[ab]', false) ORDER BY samples._rowid;

-- re_match_i: F('s').re_match('^Z', 'i')
SELECT samples.id AS id FROM samples WHERE coalesce(samples.s ~ '(?i)^Z', false) ORDER BY samples._rowid;

-- if_else: ((F('n') > 1).if_else(F('n'), 0) == 3)
SELECT samples.id AS id FROM samples WHERE CASE WHEN (samples.n IS NOT NULL AND samples.n > 1) THEN samples.n ELSE 0 END IS NOT NULL AND CASE WHEN (samples.n IS NOT NULL AND samples.n > 1) THEN samples.n ELSE 0 END = 3 ORDER BY samples._rowid;

-- label_path: (F('gt.label') == 'cat')
SELECT samples.id AS id FROM samples WHERE samples."gt.label" IS NOT NULL AND samples."gt.label" = 'cat' ORDER BY samples._rowid;

-- label_confidence: (F('gt.confidence') > 0.5)
SELECT samples.id AS id FROM samples WHERE samples."gt.confidence" IS NOT NULL AND samples."gt.confidence" > 0.5 ORDER BY samples._rowid;

-- document_exists: F('gt').exists(True)
SELECT samples.id AS id FROM samples WHERE samples.gt IS NOT NULL ORDER BY samples._rowid;

-- tags_contains: F('tags').contains(['hard'], False)
SELECT samples.id AS id FROM samples WHERE coalesce(CAST(samples.tags AS JSONB) @> CAST('["hard"]' AS JSONB), false) ORDER BY samples._rowid;

-- tags_contains_all: F('tags').contains(['hard', 'blurry'], True)
SELECT samples.id AS id FROM samples WHERE coalesce((CAST(samples.tags AS JSONB) @> CAST('["hard"]' AS JSONB)) AND (CAST(samples.tags AS JSONB) @> CAST('["blurry"]' AS JSONB)), false) ORDER BY samples._rowid;

-- tags_length: (F('tags').length() == 0)
SELECT samples.id AS id FROM samples WHERE coalesce(json_array_length(CASE WHEN (json_typeof(samples.tags) = 'array') THEN samples.tags ELSE NULL END), 0) IS NOT NULL AND coalesce(json_array_length(CASE WHEN (json_typeof(samples.tags) = 'array') THEN samples.tags ELSE NULL END), 0) = 0 ORDER BY samples._rowid;

