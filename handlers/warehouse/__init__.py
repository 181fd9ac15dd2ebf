"""Warehouse service: reserves stock for OrderPlaced atomically, emits StockReserved/OutOfStock."""
