DROP TABLE care_plans;
DROP TABLE apa_evaluations;
