DROP TABLE staff_relatives;
